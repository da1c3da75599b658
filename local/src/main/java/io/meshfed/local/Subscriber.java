package io.meshfed.local;

import io.cloudevents.CloudEvent;
import io.meshfed.model.EventFailure;
import java.util.Optional;

/**
 * What a Knative Service is to the broker: it takes one event and may answer with one reply event, which the broker
 * routes again. Implementations are the functions' own adapters, the classes their Funqy shims call.
 */
@FunctionalInterface
public interface Subscriber {
    /** @throws EventFailure when the event is refused (answered as docs/events.md says) */
    Optional<CloudEvent> handle(CloudEvent event);
}
