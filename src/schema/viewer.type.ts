import { Field, ObjectType, registerEnumType } from 'type-graphql';

export enum Role {
  READER = 'READER',
  OPERATOR = 'OPERATOR',
}
registerEnumType(Role, { name: 'Role', description: 'READER: queries and subscriptions. OPERATOR: mutations too (runs, queries, stops).' });

@ObjectType({ description: 'Who is asking: the API key this request came with.' })
export class Viewer {
  @Field({ description: 'The key\'s id (never its secret); `anonymous` when gapwatch has no keys configured.' })
  keyId!: string;

  @Field(() => Role, { description: 'What the key may do; with no keys configured anyone is an OPERATOR.' })
  role!: Role;
}
