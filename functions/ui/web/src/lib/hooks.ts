// Data hooks: load with loading/error state, and run actions with progress then a result.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Async<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

export function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, { detail: (e as Error)?.message || String(e) });
}

/** Loads `fn()` whenever `key` changes; keeps the previous data while reloading. */
export function useAsync<T>(fn: (signal: AbortSignal) => Promise<T>, key: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    fnRef.current(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (e) => {
        if (ctl.signal.aborted || (e as Error)?.name === 'AbortError') return;
        setState((s) => ({ data: s.data, error: toApiError(e), loading: false }));
      },
    );
    return () => ctl.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...key, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export interface ActionState {
  busy: boolean;
  message?: string;
  error?: ApiError;
}

/** Runs one action at a time: `busy` while it runs, then a success message or the error. */
export function useAction(): [ActionState, (fn: () => Promise<unknown>, success: string) => Promise<boolean>, () => void] {
  const [state, setState] = useState<ActionState>({ busy: false });
  const run = useCallback(async (fn: () => Promise<unknown>, success: string) => {
    setState({ busy: true, message: 'Working…' });
    try {
      await fn();
      setState({ busy: false, message: success });
      return true;
    } catch (e) {
      setState({ busy: false, error: toApiError(e) });
      return false;
    }
  }, []);
  const clear = useCallback(() => setState({ busy: false }), []);
  return [state, run, clear];
}

/** Calls `fn` every `ms` and when the window regains focus. */
export function usePoll(fn: () => void, ms: number): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    const tick = () => ref.current();
    const id = window.setInterval(tick, ms);
    const onFocus = () => tick();
    const onVisible = () => document.visibilityState === 'visible' && tick();
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.clearInterval(id);
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms]);
}
