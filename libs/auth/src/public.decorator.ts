import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'gateway:public';

/** Marks a route as served without a client key (probes). Everything else requires Bearer auth. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
