import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import type { Response } from 'express';
import { Public } from '@app/auth';
import { BackendStatusSource, CatalogService, type BenchView } from '@app/catalog';
import { OverloadGate } from '@app/limits';
import { StoreStatus } from '@app/store';
import { HEALTH_SCHEMA_NAME } from './health.schema';
import { LifecycleService } from './lifecycle.service';

const READY_EXAMPLE = {
  status: 'ok',
  info: {
    gateway: { status: 'up', phase: 'ready' },
    backends: {
      status: 'up',
      vllm: 'unreachable',
      'ollama-cloud': 'available',
      openrouter: 'benched',
    },
    benched: {
      status: 'up',
      vllm: { until: '2026-12-02T10:00:10.000Z', reason: 'unreachable' },
      openrouter: { until: '2026-12-02T10:00:30.000Z', reason: 'failures' },
      'ollama-cloud|llama4:scout': { until: '2026-12-02T10:01:00.000Z', reason: 'rate_limited' },
    },
    store: { status: 'up', mode: 'redis', redis: 'connected', outages: 0, fallbacks: 0 },
    overload: {
      status: 'up',
      inflight: 3,
      max_inflight_requests: 256,
      inflight_body_bytes: 1048576,
      max_inflight_body_bytes: 268435456,
      refused: 0,
    },
  },
  error: {},
  details: {},
};

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
    private readonly catalog: CatalogService,
    private readonly backends: BackendStatusSource,
    private readonly store: StoreStatus,
    private readonly overload: OverloadGate,
  ) {}

  @Get('healthz')
  @ApiOperation({
    operationId: 'getLiveness',
    summary: 'Liveness: the process answers. No auth, no downstream checks.',
    description: 'Always 200 while the process serves HTTP; Kubernetes restarts the pod otherwise.',
  })
  @ApiOkResponse({
    description: 'Alive',
    content: {
      'application/json': {
        schema: { $ref: `#/components/schemas/${HEALTH_SCHEMA_NAME}` },
        example: { status: 'ok', info: { process: { status: 'up' } }, error: {}, details: {} },
      },
    },
  })
  liveness(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up()]);
  }

  @Get('readyz')
  @ApiOperation({
    operationId: 'getReadiness',
    description:
      'Kubernetes keeps the pod in the Service while this answers 200. Details name each backend, benched ' +
      'backends and models with when they return, the shared store and the overload gate.',
    summary:
      'Readiness: 503 only while starting or draining. Lists every backend with its own state; a down ' +
      'backend never fails readiness, nor does an unreachable Redis (`store.redis: unreachable`: ' +
      'state is local until it returns) or a full overload gate (`overload`: new requests get 503 ' +
      '`overloaded` while the pod stays in the Service).',
  })
  @ApiOkResponse({
    description: 'Ready; backend states for transparency',
    content: {
      'application/json': {
        schema: { $ref: `#/components/schemas/${HEALTH_SCHEMA_NAME}` },
        example: READY_EXAMPLE,
      },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'Starting or draining (with `Retry-After`)',
    content: {
      'application/json': {
        schema: { $ref: `#/components/schemas/${HEALTH_SCHEMA_NAME}` },
        example: {
          status: 'error',
          info: {},
          error: { gateway: { status: 'down', phase: 'draining' } },
          details: { gateway: { status: 'down', phase: 'draining' } },
        },
      },
    },
  })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<HealthCheckResult | object> {
    const phase = this.lifecycle.state;
    const backends: Record<string, string> = {};
    const benched: Record<string, BenchView> = {};
    for (const { name } of this.catalog.backends()) {
      const state = this.backends.stateOf(name);
      backends[name] = state.status;
      if (state.bench) {
        benched[name] = state.bench;
      }
      for (const [model, bench] of Object.entries(state.benchedModels ?? {})) {
        benched[`${name}|${model}`] = bench;
      }
    }
    try {
      return await this.health.check([
        () => {
          const gateway = this.indicators.check('gateway');
          return phase === 'ready' ? gateway.up({ phase }) : gateway.down({ phase });
        },
        () => this.indicators.check('backends').up(backends),
        // Benched backends and (backend|model) pairs, with when they return: skipped until then.
        () => this.indicators.check('benched').up(benched),
        () => this.indicators.check('store').up({ ...this.store.snapshot() }),
        () => this.indicators.check('overload').up({ ...this.overload.snapshot() }),
      ]);
    } catch (err) {
      if (err instanceof ServiceUnavailableException) {
        res.status(503);
        res.setHeader('Retry-After', '1');
        return err.getResponse() as object;
      }
      throw err;
    }
  }
}
