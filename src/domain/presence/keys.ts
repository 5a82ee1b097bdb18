/**
 * Presence items in the system table (pk/sk):
 * - pk "PRESENCE#REPLICA", sk replicaId: expiresAt, renewedAt (epoch ms), renewed every third of the ttl;
 * - pk "PRESENCE#HOLDER#<replicaId>", sk userId: since (epoch ms), one per user the replica holds;
 * - pk "PRESENCE#HEARTBEAT", sk userId: expiresAt, at (epoch ms), from the heartbeat mutation.
 * A user released by a sweep gets lastSeen = the replica's last renewal (or the heartbeat's time).
 */
export const REPLICAS = 'PRESENCE#REPLICA';
export const HEARTBEATS = 'PRESENCE#HEARTBEAT';
export const holderPartition = (replicaId: string) => `PRESENCE#HOLDER#${replicaId}`;
