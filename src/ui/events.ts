/** Which MLMD events read their artifact (the rest write it): the direction of every edge and list in the UI. */
import { Event_Type, type Event } from '../../generated/ml_metadata/proto/metadata_store';

const INPUT_EVENTS: ReadonlySet<Event_Type> = new Set([
  Event_Type.DECLARED_INPUT,
  Event_Type.INPUT,
  Event_Type.INTERNAL_INPUT,
]);

export const isInputType = (type: Event_Type | undefined) => type !== undefined && INPUT_EVENTS.has(type);
export const isInput = (e: Event) => isInputType(e.type);
