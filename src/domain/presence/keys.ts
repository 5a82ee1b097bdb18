/**
 * Presence items in the system table (pk/sk), documented with the table in src/domain/tables.ts:
 * - pk "PRESENCE#REPLICA", sk replicaId: expiresAt (epoch ms), renewed every third of the ttl;
 * - pk "PRESENCE#HOLDER#<replicaId>", sk userId: since (epoch ms), one per user the replica holds;
 * - pk "PRESENCE#HEARTBEAT", sk userId: expiresAt (epoch ms), from the heartbeat mutation.
 */
export const REPLICAS = 'PRESENCE#REPLICA';
export const HEARTBEATS = 'PRESENCE#HEARTBEAT';
export const holderPartition = (replicaId: string) => `PRESENCE#HOLDER#${replicaId}`;
