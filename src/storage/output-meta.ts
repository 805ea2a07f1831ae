// The user-metadata key that marks an object as the engine's own output. The worker sets it on every
// upload; the upload trigger skips objects that carry it, so an output never starts a workflow.

/** The metadata key every engine output carries (x-amz-meta-ci-engine-job). */
export const ENGINE_OUTPUT_META = 'ci-engine-job';
