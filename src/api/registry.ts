import type { Operation } from './operation.ts';
import { awardPoints } from './resolvers/awardPoints.ts';
import { deletePhoto } from './resolvers/deletePhoto.ts';
import { followUser } from './resolvers/followUser.ts';
import { getUser } from './resolvers/getUser.ts';
import { getRankings } from './resolvers/getRankings.ts';
import { getUserByNickname } from './resolvers/getUserByNickname.ts';
import { heartbeat } from './resolvers/heartbeat.ts';
import { isFollowing } from './resolvers/isFollowing.ts';
import { listConversations } from './resolvers/listConversations.ts';
import { listFollowers } from './resolvers/listFollowers.ts';
import { listFollowing } from './resolvers/listFollowing.ts';
import { listMessages } from './resolvers/listMessages.ts';
import { listPhotos } from './resolvers/listPhotos.ts';
import { markConversationRead } from './resolvers/markConversationRead.ts';
import { me } from './resolvers/me.ts';
import { myRank } from './resolvers/myRank.ts';
import { onMessageReceived } from './resolvers/onMessageReceived.ts';
import { onNewFollower } from './resolvers/onNewFollower.ts';
import { onPresenceChanged } from './resolvers/onPresenceChanged.ts';
import { requestUpload } from './resolvers/requestUpload.ts';
import { searchUsers } from './resolvers/searchUsers.ts';
import { sendMessage } from './resolvers/sendMessage.ts';
import { unfollowUser } from './resolvers/unfollowUser.ts';
import { updateProfile } from './resolvers/updateProfile.ts';

/**
 * Every GraphQL root field this server implements. Adding an operation = its SDL in
 * schema.graphql, a file under resolvers/, and one line here. A root field in the SDL without an
 * entry here answers `UnsupportedOperation`; an entry without SDL fails at start-up.
 * Subscription entries are start-time resolvers (ownership checks); their events come from the
 * mutations named in @aws_subscribe, over /graphql/realtime (src/api/subscriptions).
 */
export const operations: readonly Operation[] = [
  // profiles
  getUser,
  me,
  getUserByNickname,
  searchUsers,
  updateProfile,
  // social
  followUser,
  unfollowUser,
  isFollowing,
  listFollowing,
  listFollowers,
  // chat
  sendMessage,
  listMessages,
  listConversations,
  markConversationRead,
  // points, rankings
  awardPoints,
  getRankings,
  myRank,
  // media
  requestUpload,
  listPhotos,
  deletePhoto,
  // real time
  heartbeat,
  onMessageReceived,
  onNewFollower,
  onPresenceChanged,
];
