// Loads the map colour steps; falls back to the defaults (with the reason) when the route
// answers anything but 401 (e.g. 501 while the server does not serve it).
import { api, ApiError } from './api';
import { useAsync } from './hooks';
import { DEFAULT_STEPS, parseSteps } from './thresholds';

export function useThresholds() {
  return useAsync(
    (signal) =>
      api.get<unknown>('/config/map-color-thresholds', { signal, host: null }).then(
        (b) => ({ steps: parseSteps(b), fallback: undefined as ApiError | undefined }),
        (e: ApiError) => {
          if (e.status === 401 || (e as Error).name === 'AbortError') throw e;
          return { steps: DEFAULT_STEPS, fallback: e };
        },
      ),
    [],
  );
}
