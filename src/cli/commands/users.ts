import type { Command } from 'commander';
import { openContext } from '../../runtime/command-context.ts';
import { createLogger } from '../../runtime/logger.ts';
import { configFrom, withConfigOptions } from '../options.ts';

export function registerUsers(program: Command): void {
  const users = program.command('users').description('user pool administration');

  withConfigOptions(users.command('codes').description('confirmation and reset codes in the outbox (development only)'))
    .option('--json', 'print as JSON')
    .action(async (opts) => {
      const config = configFrom(opts);
      if (config.production) {
        process.stderr.write('biilive: the code outbox is off in production mode: codes are only delivered (codes.sender)\n');
        process.exitCode = 2;
        return;
      }
      const ctx = await openContext(config, createLogger('warn'));
      try {
        const codes = await (await ctx.identity()).pendingCodes();
        if (opts.json) process.stdout.write(`${JSON.stringify(codes, null, 2)}\n`);
        else if (codes.length === 0) process.stdout.write('no pending codes\n');
        else for (const c of codes) process.stdout.write(`${c.username.padEnd(24)} ${c.purpose.padEnd(20)} ${c.code}  (expires ${c.expiresAt})\n`);
      } finally {
        await ctx.close();
      }
    });

  const group = users.command('group').description('user-pool groups (cognito:groups claim)');
  for (const action of ['add', 'remove'] as const) {
    withConfigOptions(group.command(`${action} <username> <group>`).description(`${action} a user ${action === 'add' ? 'to' : 'from'} a group`)).action(
      async (username: string, groupName: string, opts) => {
        const config = configFrom(opts);
        const ctx = await openContext(config, createLogger('warn'));
        try {
          const identity = await ctx.identity();
          if (action === 'add') await identity.addUserToGroup(username, groupName);
          else await identity.removeUserFromGroup(username, groupName);
          process.stdout.write(`${username}: ${action === 'add' ? 'added to' : 'removed from'} ${groupName} (effective from the next token)\n`);
        } finally {
          await ctx.close();
        }
      },
    );
  }

  for (const action of ['disable', 'enable'] as const) {
    withConfigOptions(
      users
        .command(`${action} <username>`)
        .description(action === 'disable' ? 'like AdminDisableUser: no sign-in, no refresh, issued tokens refused' : 'like AdminEnableUser'),
    ).action(async (username: string, opts) => {
      const config = configFrom(opts);
      const ctx = await openContext(config, createLogger('warn'));
      try {
        await (await ctx.identity()).setUserEnabled(username, action === 'enable');
        process.stdout.write(`${username}: ${action}d\n`);
      } finally {
        await ctx.close();
      }
    });
  }
}
