import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

/** Query strings are strings: a decimal integer becomes a number, anything else stays and fails `IsInt`. */
const toInteger = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value);

/** `?limit&offset` of every list route: limit 1..1000 (default 100, never clamped), offset ≥ 0. */
export class PageQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, default: 100, example: 100 })
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit: number = 100;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, example: 0 })
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(2_147_483_647)
  offset: number = 0;
}
