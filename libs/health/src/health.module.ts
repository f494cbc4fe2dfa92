import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CatalogModule } from '@app/catalog';
import { DrainMiddleware } from './drain.middleware';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';

/** Kubernetes probes (`/healthz`, `/readyz`), in-flight tracking and the drain state. */
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), CatalogModule],
  controllers: [HealthController],
  providers: [LifecycleService, DrainMiddleware],
  exports: [LifecycleService, DrainMiddleware],
})
export class HealthModule {}
