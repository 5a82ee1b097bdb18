import type { Operation } from './operation.ts';
import { getUser } from './resolvers/getUser.ts';
import { getUserByNickname } from './resolvers/getUserByNickname.ts';
import { me } from './resolvers/me.ts';
import { searchUsers } from './resolvers/searchUsers.ts';
import { updateProfile } from './resolvers/updateProfile.ts';

/**
 * Every GraphQL root field this server implements. Adding an operation = its SDL in
 * schema.graphql, a file under resolvers/, and one line here. A root field in the SDL without an
 * entry here answers `UnsupportedOperation`; an entry without SDL fails at start-up.
 */
export const operations: readonly Operation[] = [
  // profiles
  getUser,
  me,
  getUserByNickname,
  searchUsers,
  updateProfile,
];
