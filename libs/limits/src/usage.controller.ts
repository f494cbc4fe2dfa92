import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { ApiErrorResponses } from '@app/contracts';
import { StoreStatus } from '@app/store';
import { LimitsService } from './limits.service';
import { describeUsage } from './usage.view';
import { UsageResponseDto } from './usage.dto';

@ApiTags('limits')
@ApiBearerAuth()
@Controller('v1')
export class UsageController {
  constructor(
    private readonly limits: LimitsService,
    private readonly store: StoreStatus,
  ) {}

  @Get('usage')
  @ApiOperation({
    operationId: 'getUsage',
    summary: "The calling key's limits, usage and what is left, key-wide and per alias",
    description:
      'Per-minute limits refill continuously (a burst of the limit, then limit/60 per second); ' +
      'day and month budgets are UTC calendar windows. Charges nothing.',
  })
  @ApiOkResponse({ type: UsageResponseDto })
  @ApiErrorResponses(401)
  async usage(@CurrentPrincipal() principal: Principal): Promise<UsageResponseDto> {
    const snapshot = this.store.snapshot();
    const shared = snapshot.mode === 'redis' && snapshot.redis === 'connected';
    return describeUsage(
      principal.keyName,
      shared,
      this.limits.planFor(principal),
      await this.limits.standings(principal),
      Date.now(),
    );
  }
}
