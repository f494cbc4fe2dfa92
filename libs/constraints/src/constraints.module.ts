import { Module } from '@nestjs/common';

/**
 * Per-alias constraints from the catalog. Every rule is a pure function of (catalog entry,
 * request), imported from `@app/constraints` and applied by routing per hop; nothing to inject.
 */
@Module({})
export class ConstraintsModule {}
