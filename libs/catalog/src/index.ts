export * from './backend-status';
export * from './catalog.module';
export * from './catalog.service';
export * from './catalog.view';
export * from './info.dto';
