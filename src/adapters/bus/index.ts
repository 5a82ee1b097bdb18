import type { Bus } from '../../ports/bus.ts';
import type { Logger } from '../../ports/logger.ts';
import { MemoryBus } from './memory-bus.ts';
import { RedisBus } from './redis-bus.ts';

export interface BusSettings {
  bus: 'memory' | 'redis';
  redisUrl: string;
  busPrefix: string;
}

/** The configured bus: in-process for one replica, Redis pub/sub for several. */
export async function openBus(settings: BusSettings, log: Logger): Promise<Bus> {
  if (settings.bus === 'memory') return new MemoryBus();
  return RedisBus.connect({ url: settings.redisUrl, prefix: settings.busPrefix, log });
}

export { MemoryBus, MemoryBusNetwork } from './memory-bus.ts';
export { RedisBus } from './redis-bus.ts';
