import { callerPrincipal } from '../context.ts';
import { defineOperation } from '../operation.ts';

interface Args {
  receiverId: string;
  message: string;
  clientMessageId?: string | null;
}

/** The caller (never an argument) sends to receiverId; a retry with the same clientMessageId returns the original. */
export const sendMessage = defineOperation({
  type: 'Mutation',
  field: 'sendMessage',
  uses: ['chat'],
  resolver: ({ chat }) => async (args: Args, ctx) => {
    const { message } = await chat.sendMessage(callerPrincipal(ctx).sub, args.receiverId, args.message, args.clientMessageId);
    return message;
  },
});
