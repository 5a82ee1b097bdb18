import type { ObjectCreatedEvent, ObjectCreatedListener } from '../../ports/blobs.ts';
import type { Logger } from '../../ports/logger.ts';

/** Object-created fan-out shared by the blob adapters. A throwing listener never fails the write. */
export class ObjectCreatedEmitter {
  private readonly listeners = new Set<ObjectCreatedListener>();

  constructor(private readonly log?: Logger) {}

  subscribe(listener: ObjectCreatedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ObjectCreatedEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.log?.error({ err, key: event.key }, 'object-created listener failed');
      }
    }
  }
}
