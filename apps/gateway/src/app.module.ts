import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@app/auth';
import { CatalogModule } from '@app/catalog';
import { ChatModule } from '@app/chat';
import { ConfigModule, type GatewayConfig } from '@app/config';
import { ContractsModule } from '@app/contracts';
import { HealthModule } from '@app/health';
import { ObservabilityModule } from '@app/observability';
import { RoutingModule } from '@app/routing';

/** Composition root: the lib modules and their global guard, filter and middleware. */
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ContractsModule,
        ObservabilityModule,
        HealthModule,
        AuthModule,
        CatalogModule,
        RoutingModule,
        ChatModule,
      ],
    };
  }
}
