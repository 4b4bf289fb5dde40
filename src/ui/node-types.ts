/**
 * How each artifact type is drawn and treated, as data: CMF's types, Kubeflow's `system.*` types and TFX's standard
 * artifacts map to a few families (each with a colour and glyph in styles.css); any other type is a plain artifact.
 * The model card and metrics sections use the same families, so "what is a model" is decided in one place.
 */
export type ArtifactFamily =
  'dataset' | 'model' | 'metrics' | 'step-metrics' | 'dataslice' | 'label' | 'environment' | 'schema' | 'artifact';

const FAMILY_OF_TYPE: Record<string, ArtifactFamily> = {
  // CMF (cmflib)
  Dataset: 'dataset',
  Model: 'model',
  Metrics: 'metrics',
  Step_Metrics: 'step-metrics',
  Dataslice: 'dataslice',
  Label: 'label',
  Environment: 'environment',
  // Kubeflow Pipelines v2
  'system.Dataset': 'dataset',
  'system.Model': 'model',
  'system.Metrics': 'metrics',
  'system.ClassificationMetrics': 'metrics',
  'system.SlicedClassificationMetrics': 'metrics',
  'system.HTML': 'artifact',
  'system.Markdown': 'artifact',
  // TFX standard artifacts
  Examples: 'dataset',
  ExternalArtifact: 'dataset',
  PushedModel: 'model',
  ModelEvaluation: 'metrics',
  ExampleStatistics: 'metrics',
  Schema: 'schema',
};

export const FAMILY_LABEL: Record<ArtifactFamily, string> = {
  dataset: 'Dataset',
  model: 'Model',
  metrics: 'Metrics',
  'step-metrics': 'Step metrics',
  dataslice: 'Dataslice',
  label: 'Label',
  environment: 'Environment',
  schema: 'Schema',
  artifact: 'Other artifact',
};

export function artifactFamily(typeName: string | undefined): ArtifactFamily {
  return FAMILY_OF_TYPE[typeName ?? ''] ?? 'artifact';
}

export const isModelType = (typeName: string | undefined) => artifactFamily(typeName) === 'model';
export const isMetricsType = (typeName: string | undefined) => {
  const f = artifactFamily(typeName);
  return f === 'metrics' || f === 'step-metrics';
};
