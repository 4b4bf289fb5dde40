/**
 * A view's frame: the document title, one h1 that takes focus when the view opens (so keyboard and screen-reader
 * users land on the new content, as after a page load), and the view's content.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export const APP_NAME = 'cmf-mlmd';

export function Page(props: { title: string; heading?: ComponentChildren; children?: ComponentChildren }) {
  const h1 = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · ${APP_NAME}`;
  }, [props.title]);
  useEffect(() => {
    h1.current?.focus({ preventScroll: true });
  }, [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={h1}>
        {props.heading ?? props.title}
      </h1>
      {props.children}
    </section>
  );
}
