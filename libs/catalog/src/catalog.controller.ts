import { Controller, Get, Optional, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { ApiErrorResponses } from '@app/contracts';
import { BackendStatusSource } from './backend-status';
import { CatalogService } from './catalog.service';
import { InfoResponseDto, ModelListDto, ModelObjectDto } from './info.dto';
import { describeCatalog, toModelObject } from './catalog.view';

@ApiTags('catalog')
@ApiBearerAuth()
@Controller('v1')
export class CatalogController {
  constructor(
    private readonly catalog: CatalogService,
    @Optional() private readonly status?: BackendStatusSource,
  ) {}

  @Get('info')
  @ApiOperation({
    operationId: 'getModelCatalog',
    summary: 'Model catalog with constraints and routing, and live backend status',
    description:
      'Every alias the key may use, with its family, context window, modalities, licensing, ordered fallback ' +
      'chain (each hop with its own build facts) and constraints (`min_max_tokens`, …), and every backend with ' +
      'its live state (`available`, `benched` until when and why, `unreachable`, `not_configured`).',
  })
  @ApiOkResponse({ type: InfoResponseDto })
  @ApiErrorResponses(401)
  info(@CurrentPrincipal() principal: Principal): InfoResponseDto {
    return describeCatalog(
      this.catalog.list(principal),
      this.catalog.backends(),
      (name) => this.status?.stateOf(name) ?? { status: 'unknown' },
      (alias) => this.catalog.chain(alias),
    );
  }

  @Get('models')
  @ApiOperation({
    operationId: 'listModels',
    summary: 'List models (OpenAI format)',
    description: 'The aliases the key may use, as OpenAI `model` objects.',
  })
  @ApiOkResponse({ type: ModelListDto })
  @ApiErrorResponses(401)
  models(@CurrentPrincipal() principal: Principal): ModelListDto {
    return { object: 'list', data: this.catalog.list(principal).map(toModelObject) };
  }

  @Get('models/:model')
  @ApiOperation({
    operationId: 'retrieveModel',
    summary: 'Retrieve a model (OpenAI format)',
    description:
      'One alias as an OpenAI `model` object; 404 `model_not_found` when unknown or not allowed for the key.',
  })
  @ApiParam({ name: 'model', example: 'llama-4-scout' })
  @ApiOkResponse({ type: ModelObjectDto })
  @ApiErrorResponses(401, 404)
  model(@CurrentPrincipal() principal: Principal, @Param('model') alias: string): ModelObjectDto {
    return toModelObject(this.catalog.require(alias, principal));
  }
}
