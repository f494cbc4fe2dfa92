import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'Error' })
export class ErrorDetailDto {
  @ApiProperty({ example: 'Invalid API key.' }) message: string;
  @ApiProperty({ example: 'invalid_request_error' }) type: string;
  @ApiProperty({ type: String, nullable: true, example: 'messages[1].content[1].image_url.url' })
  param: string | null;
  @ApiProperty({ example: 'image_url_not_supported' }) code: string;
}

/** The OpenAI error envelope, as documented in the OpenAPI document. */
@ApiSchema({ name: 'ErrorResponse' })
export class ErrorResponseDto {
  @ApiProperty({ type: ErrorDetailDto }) error: ErrorDetailDto;
}
