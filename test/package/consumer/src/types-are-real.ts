/** Compiles only if the package's declarations are precise: each line below must be a type error. */
import { MlmdClient } from 'cmf-mlmd/client';

export async function misuse(client: MlmdClient): Promise<void> {
  const { typeId } = await client.putArtifactType({ artifactType: { name: 'x' } });
  // @ts-expect-error int64 ids are bigint, not string
  const id: string = typeId;
  // @ts-expect-error no such RPC
  await client.putArtifactTypez({});
  // @ts-expect-error a field of the wrong type
  await client.getArtifactsById({ artifactIds: ['1'] });
  void id;
}
