import { Global, Module } from '@nestjs/common';
import { BackendStatusSource, CatalogModule } from '@app/catalog';
import { BackendHealthService } from './backend-health.service';
import { BackendRegistry } from './backend-registry';
import { RouterService } from './router.service';

/**
 * Backends, their health, and the fallback loop. Global so the catalog can show live backend status.
 * Circuit state comes from the global StoreModule (memory, or Redis shared by every replica).
 */
@Global()
@Module({
  imports: [CatalogModule],
  providers: [
    BackendRegistry,
    BackendHealthService,
    RouterService,
    { provide: BackendStatusSource, useExisting: BackendHealthService },
  ],
  exports: [BackendRegistry, BackendHealthService, RouterService, BackendStatusSource],
})
export class RoutingModule {}
