import { Global, Module } from '@nestjs/common';
import { BackendStatusSource, CatalogModule } from '@app/catalog';
import { CircuitStore, MemoryCircuitStore } from '@app/store';
import { BackendHealthService } from './backend-health.service';
import { BackendRegistry } from './backend-registry';
import { RouterService } from './router.service';

/** Backends, their health, and the fallback loop. Global so the catalog can show live backend status. */
@Global()
@Module({
  imports: [CatalogModule],
  providers: [
    BackendRegistry,
    BackendHealthService,
    RouterService,
    { provide: CircuitStore, useClass: MemoryCircuitStore },
    { provide: BackendStatusSource, useExisting: BackendHealthService },
  ],
  exports: [BackendRegistry, BackendHealthService, RouterService, BackendStatusSource],
})
export class RoutingModule {}
