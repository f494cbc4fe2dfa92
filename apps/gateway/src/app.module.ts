import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuthModule } from '@app/auth';
import { CatalogModule } from '@app/catalog';
import { BodyMiddleware, ChatModule } from '@app/chat';
import { ConfigModule, type GatewayConfig } from '@app/config';
import { ContractsModule } from '@app/contracts';
import { HealthModule } from '@app/health';
import { LimitsModule } from '@app/limits';
import { OpenAiApiModule } from '@app/openai-api';
import { RoutingModule } from '@app/routing';
import { StoreModule } from '@app/store';
import { TelemetryModule, type TelemetryOptions } from '@app/telemetry';
import { BODY_FORMS_PROVIDER, REQUEST_PIPELINE, routesOf, type Stage } from './request-pipeline';

/** Composition root: the lib modules, their global guard and filter, and the request pipeline. */
@Module({})
export class AppModule implements NestModule {
  constructor(private readonly modules: ModuleRef) {}

  static forRoot(config: GatewayConfig, telemetry: TelemetryOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        StoreModule,
        ContractsModule,
        TelemetryModule.forRoot(telemetry),
        HealthModule,
        AuthModule,
        LimitsModule,
        CatalogModule,
        RoutingModule,
        ChatModule,
        OpenAiApiModule,
      ],
      // The body stage reads the pipeline's own declaration of which routes take forms.
      providers: [BodyMiddleware, BODY_FORMS_PROVIDER],
    };
  }

  /**
   * Applies {@link REQUEST_PIPELINE} to Nest's routes, in its order, delegating to the stage
   * providers themselves — the instances the chat front door runs — rather than letting Nest build
   * second copies.
   */
  configure(consumer: MiddlewareConsumer): void {
    for (const { stage, on } of REQUEST_PIPELINE) {
      let instance: Stage | undefined;
      const use = (req: IncomingMessage, res: ServerResponse, next: (e?: unknown) => void) => {
        instance ??= this.modules.get<Stage>(stage, { strict: false });
        return instance.use(req, res, next);
      };
      Object.defineProperty(use, 'name', { value: stage.name });
      consumer.apply(use).forRoutes(...routesOf(on));
    }
  }
}
