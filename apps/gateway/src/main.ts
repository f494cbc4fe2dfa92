import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { PING } from '@app/config';
@Module({})
class M {}
async function main(): Promise<void> {
  const app = await NestFactory.create(M, { logger: false });
  await app.listen(0, '127.0.0.1');
  console.log(PING, app.getHttpServer().address());
  await app.close();
}
void main();
