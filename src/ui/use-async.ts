/**
 * Loading state for a view: runs `load` whenever `deps` change and drops answers that arrive after the view moved
 * on (a slow first page must not overwrite the second). `reload` runs it again, e.g. after the server came back.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Async<T> =
  | { state: 'loading'; reload: () => void }
  | { state: 'done'; value: T; reload: () => void }
  | { state: 'failed'; error: unknown; reload: () => void };

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const [result, setResult] = useState<
    { state: 'loading' } | { state: 'done'; value: T } | { state: 'failed'; error: unknown }
  >({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setResult({ state: 'loading' });
    load().then(
      (value) => ticket === latest.current && setResult({ state: 'done', value }),
      (error: unknown) => ticket === latest.current && setResult({ state: 'failed', error }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller lists what `load` depends on
  }, [...deps, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...result, reload } as Async<T>;
}
