// Loads a component from a separate chunk on first use (map, charts and config editors stay
// out of the first page's JavaScript).
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, Loading } from './ui';
import { ApiError } from '../lib/api';

export function lazyComponent<P>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let cached: ComponentType<P> | undefined;
  return function LazyComponent(props: P) {
    const [Comp, setComp] = useState<ComponentType<P> | undefined>(() => cached);
    const [failed, setFailed] = useState<string>();
    useEffect(() => {
      if (Comp) return;
      load().then(
        (c) => {
          cached = c;
          setComp(() => c);
        },
        (e) => setFailed(String(e)),
      );
    }, []);
    if (failed) return <ErrorBox error={new ApiError(0, { detail: 'Could not load this part of the app: ' + failed })} />;
    if (!Comp) return <Loading />;
    return <Comp {...(props as P & object)} />;
  };
}
