/**
 * A project of its own that uses the SDK from the installed package: `cmf-mlmd/client`, typed by the package's
 * declarations. Prints one JSON line with what the server answered.
 */
import { CmfClient, MlmdClient, MlmdClientError } from 'cmf-mlmd/client';

async function main(address: string): Promise<void> {
  const mlmd = new MlmdClient(address, { deadlineMs: 30_000 });
  const cmf = new CmfClient(address, { deadlineMs: 30_000 });
  try {
    const { typeId } = await mlmd.putArtifactType({ artifactType: { name: 'consumer.Dataset' } });
    const { artifactIds } = await mlmd.putArtifacts({ artifacts: [{ typeId, uri: 'file:///data/train.csv' }] });
    const { artifacts } = await mlmd.getArtifactsById({ artifactIds });
    let missing = '';
    try {
      await mlmd.getArtifactType({ typeName: 'no-such-type' });
    } catch (e) {
      if (e instanceof MlmdClientError) missing = e.codeName;
    }
    const { names } = await cmf.getPipelineNames({});
    const serverModules = Object.keys(require.cache).filter((f) => /[\\/](better-sqlite3|pg|mysql2)[\\/]/.test(f));
    console.log(JSON.stringify({ typeId: String(typeId), uri: artifacts[0]?.uri, missing, names, serverModules }));
  } finally {
    mlmd.close();
    cmf.close();
  }
}

main(process.argv[2]).catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
