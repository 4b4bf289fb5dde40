import { Page } from '../components/Page';

export function NotFound(props: { path: string }) {
  return (
    <Page title="No such page">
      <p>
        Nothing lives at <code>{props.path}</code>. Go to the <a href="#/">overview</a>.
      </p>
    </Page>
  );
}
