/**
 * Loading state for a view: runs `load` whenever `deps` change and drops answers that arrive after the view moved
 * on (a slow first page must not overwrite the second). A result belongs to the deps it was loaded for, so the render
 * right after a change shows "loading", never the previous view's data. `reload` runs it again, e.g. after the server
 * came back.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Async<T> =
  | { state: 'loading'; reload: () => void }
  | { state: 'done'; value: T; reload: () => void }
  | { state: 'failed'; error: unknown; reload: () => void };

type Settled<T> = { state: 'done'; value: T } | { state: 'failed'; error: unknown };

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const [attempt, setAttempt] = useState(0);
  const key = [...deps, attempt].map(String).join('\u0000');
  const [result, setResult] = useState<{ key: string; settled: Settled<T> } | undefined>(undefined);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    load().then(
      (value) => ticket === latest.current && setResult({ key, settled: { state: 'done', value } }),
      (error: unknown) => ticket === latest.current && setResult({ key, settled: { state: 'failed', error } }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the caller's deps
  }, [key]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  if (result === undefined || result.key !== key) return { state: 'loading', reload };
  return { ...result.settled, reload };
}
