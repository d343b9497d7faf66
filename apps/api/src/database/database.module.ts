import { Global, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ENTITIES } from './entities.js';

/**
 * Hands Nest an already-initialised, migrated DataSource (opened in `main.ts`, so migrations run
 * before the server accepts a request).
 */
@Global()
@Module({})
export class DatabaseModule {
  static register(dataSource: DataSource): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSource.options, entities: ENTITIES }),
          dataSourceFactory: () => Promise.resolve(dataSource),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
