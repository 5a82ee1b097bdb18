import type { TableDefinition } from '../ports/tables.ts';

/** Physical names, from config (defaults are the seed's). */
export interface TableNames {
  users: string;
  social: string;
  chats: string;
  nicknames: string;
  identity: string;
  system: string;
  points: string;
  rankings: string;
  photos: string;
}

/**
 * The key design of every table, the seed's three unchanged plus the ones this project adds.
 * docs/data-model.md explains each; `biilive db init --dry-run` prints them as DynamoDB sees them.
 */
export function tableDefinitions(names: TableNames): TableDefinition[] {
  return [
    {
      // Seed table. userId = the identity's `sub`.
      id: 'users',
      name: names.users,
      partitionKey: { name: 'userId', type: 'S' },
      indexes: [
        // Prefix search and lookup by nickname: partition = first character of the lower-cased
        // nickname, sort = the lower-cased nickname (begins_with / equality).
        {
          name: 'nickname-index',
          partitionKey: { name: 'nicknameBucket', type: 'S' },
          sortKey: { name: 'nicknameLower', type: 'S' },
        },
      ],
    },
    {
      // Seed table: PK followerId, SK "FOLLOWING#{followedId}", GSI1 for the reverse edge.
      id: 'social',
      name: names.social,
      partitionKey: { name: 'followerId', type: 'S' },
      sortKey: { name: 'SK', type: 'S' },
      indexes: [
        { name: 'GSI1', partitionKey: { name: 'GSI1PK', type: 'S' }, sortKey: { name: 'GSI1SK', type: 'S' } },
      ],
      stream: true,
    },
    {
      // Seed table: PK conversationId, SK timestamp (ISO time plus a unique suffix).
      // Item kinds (src/domain/chat/keys.ts), user ids never contain '#':
      // - message (seed): conversationId = "<idA>#<idB>" (the two user ids sorted), timestamp =
      //   "<ISO time>#<seq, 10 digits>": seq is the conversation's sequence number, assigned in the
      //   send transaction, and the time never goes below the previous message's, so the sort
      //   key is unique and sorts exactly by seq (one total order, the same for both users).
      // - inbox summary (added), one per participant: conversationId = "INBOX#<ownerId>",
      //   timestamp = "<idA>#<idB>"; holds lastSeq (the conversation's sequence), the last
      //   message, unreadCount and lastReadSeq (the owner's read high-water mark). Both summaries
      //   are updated in every send transaction, conditioned on lastSeq: they are the
      //   conversation's state.
      // - send dedup (added): conversationId = "DEDUP#<idA>#<idB>", timestamp =
      //   "<senderId>#<clientMessageId>" -> the message's key; written in the send transaction.
      id: 'chats',
      name: names.chats,
      partitionKey: { name: 'conversationId', type: 'S' },
      sortKey: { name: 'timestamp', type: 'S' },
      indexes: [
        // Added, sparse (only inbox summaries carry its keys): a user's conversations, newest
        // first. inboxOwner = ownerId, inboxSort = "<last message's timestamp>#<idA>#<idB>".
        { name: 'inbox-index', partitionKey: { name: 'inboxOwner', type: 'S' }, sortKey: { name: 'inboxSort', type: 'S' } },
      ],
    },
    {
      // Added: one claim item per lower-cased nickname, written in the same transaction as the
      // profile, so two users can never hold the same nickname.
      id: 'nicknames',
      name: names.nicknames,
      partitionKey: { name: 'nickname', type: 'S' },
    },
    {
      // Added: the Cognito-compatible user pool (users, codes, refresh tokens, groups).
      id: 'identity',
      name: names.identity,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
      indexes: [
        { name: 'GSI1', partitionKey: { name: 'GSI1PK', type: 'S' }, sortKey: { name: 'GSI1SK', type: 'S' } },
      ],
    },
    {
      // Added: installation settings (generated ids, API key, signing keys), stream checkpoints, leases.
      // Stream function checkpoints: pk "CHECKPOINT#<function>", sk shardId (embedded consumer);
      // pk "APPLIED#<function>", sk a stream record's eventID: the Lambda's per-record applied
      // markers (AWS), with expiresAt (epoch seconds) as the table's TTL attribute.
      // Attributes: sequenceNumber, pendingEnd, partsDone, ended (src/functions/batch-ledger.ts).
      // Shard leases (one consumer per shard across replicas): pk "LEASE#<function>", sk shardId,
      // owner (per-process id), expiresAt (epoch ms); src/functions/shard-leases.ts.
      // Media (src/domain/media): pk "MEDIA", sk "URL-SIGNING-SECRET" (the embedded store's
      // presigned-URL HMAC key, generated once); pk "CDN", sk "GENERATION" (attribute generation:
      // number of the last CDN invalidation) and pk "CDN#INVALIDATIONS", sk = that number as 12
      // digits (attributes paths, createdAt), the two written in one transaction.
      id: 'system',
      name: names.system,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    },
    {
      // Added: the points ledger (src/domain/points), one item per award, PK idempotencyKey. Written
      // in the same transaction as the user's puntos/nivel, conditioned on not existing, so a retried
      // award counts once. Attributes: userId, amount, reason, awardedBy, awardedAt (ISO),
      // puntosAfter, nivelAfter.
      id: 'points',
      name: names.points,
      partitionKey: { name: 'idempotencyKey', type: 'S' },
      // A user's awards, oldest first.
      indexes: [{ name: 'user-index', partitionKey: { name: 'userId', type: 'S' }, sortKey: { name: 'awardedAt', type: 'S' } }],
    },
    {
      // Added: ranking snapshots written by CalculateRankings (src/domain/rankings/keys.ts). A
      // snapshot has an id "<YYYY-MM-DD>.<8 hex>" (the scheduled event's UTC date, then per run).
      // - pointer: pk "CURRENT", sk "CURRENT" -> snapshotId, date, chunkSize, buckets, counts. Flipped
      //   last, in one transaction with the run's completion: readers only ever see complete snapshots.
      // - run: pk "RUNS", sk snapshotId -> status (writing | complete | pruning), startedAt, heartbeatAt.
      // - ranking chunk: pk "<snap>#GLOBAL" | "<snap>#COUNTRY#<pais>" | "<snap>#CITY#<pais>#<ciudad>"
      //   (normalised, '%' and '#' percent-encoded), sk = chunk number, 8 digits; holds `total` and
      //   `entries` (JSON text): ranks chunk*chunkSize+1.. in order, [userId, nickname, puntos, nivel,
      //   place?] (place: index into the item's `places`, [ciudad, pais] pairs; layouts in
      //   src/domain/rankings/snapshot-items.ts).
      // - rank lookup: pk "<snap>#USERS", sk = bucket (FNV-1a of userId mod buckets), 8 digits; holds
      //   `users` (JSON text): [userId, globalRank, countryRank, cityRank] (myRank).
      // - manifest: pk "<snap>#MANIFEST", sk = batch number, 8 digits; `keys` lists the items written
      //   in the same transaction, so pruning (or cleaning a crashed run) finds every item.
      id: 'rankings',
      name: names.rankings,
      partitionKey: { name: 'pk', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    },
    {
      // Added: gallery photos (the seed leaves listings open), one item per photo, written by
      // ProcessProfilePhoto once both variants are stored (src/domain/media/photo-records.ts).
      // PK userId (the owner), SK photoId = the upload's {timestamp} (epoch ms, 13 digits), so a
      // user's photos sort by time; listPhotos reads newest first. Attributes: key
      // (fotos/{userId}/full_{timestamp}.jpg), thumbnailKey (fotos/{userId}/thumbnail_{timestamp}.jpg),
      // width, height, bytes, createdAt (ISO). Profile photos have no records: their keys are on the
      // user item (profilePhotoKey, profileThumbnailKey, profilePhotoTs to order updates; the URLs only with a fixed CDN base).
      id: 'photos',
      name: names.photos,
      partitionKey: { name: 'userId', type: 'S' },
      sortKey: { name: 'photoId', type: 'S' },
    },
  ];
}
