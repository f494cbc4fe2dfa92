import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { OpenAIExceptionFilter } from './openai-exception.filter';

/** Registers the OpenAI error envelope for every route. */
@Module({ providers: [{ provide: APP_FILTER, useClass: OpenAIExceptionFilter }] })
export class ContractsModule {}
