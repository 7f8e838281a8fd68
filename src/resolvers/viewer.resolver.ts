import { Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { Role, Viewer } from '../schema/viewer.type';
import { Uses } from './uses';

/** The caller itself, so a client (the status page) shows only what its key may do. */
@Uses()
@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The API key this request came with, and its role.' })
  viewer(@Ctx() ctx: Context): Viewer {
    return { keyId: ctx.principal.id, role: ctx.principal.role === 'operator' ? Role.OPERATOR : Role.READER };
  }
}
