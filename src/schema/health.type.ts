import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum HealthStatus {
  OK = 'OK',
  DEGRADED = 'DEGRADED',
}
registerEnumType(HealthStatus, {
  name: 'HealthStatus',
  description: 'OK when every backend answers; DEGRADED names the ones that do not in `checks`.',
});

@ObjectType({ description: 'One backend gapwatch depends on, and whether it answered just now.' })
export class BackendCheck {
  @Field({ description: 'athena, stepfunctions, …' })
  name!: string;

  @Field()
  ready!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is not ready.' })
  message!: string | null;

  @Field(() => Float)
  latencyMs!: number;
}

@ObjectType()
export class Health {
  @Field(() => HealthStatus)
  status!: HealthStatus;

  @Field({ description: 'gapwatch version.' })
  version!: string;

  @Field({ description: '`embedded` (local stand-ins for AWS) or `aws`.' })
  backend!: string;

  @Field(() => [BackendCheck])
  checks!: BackendCheck[];
}

@ObjectType({ description: 'A tick from the server, to check that subscriptions reach you.' })
export class Heartbeat {
  @Field(() => Int, { description: 'Ticks sent on this subscription so far, from 1.' })
  seq!: number;

  @Field(() => Date)
  at!: Date;
}
