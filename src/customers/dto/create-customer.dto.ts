import { ApiProperty } from '@nestjs/swagger';
import { IsDefined, IsString, Length } from 'class-validator';

export class CreateCustomerRequest {
  @ApiProperty({ minLength: 1, maxLength: 255, example: 'Acme Pty Ltd' })
  @IsDefined()
  @IsString()
  @Length(1, 255)
  name: string;
}
