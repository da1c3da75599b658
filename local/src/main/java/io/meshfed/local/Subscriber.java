package io.meshfed.local;

import io.cloudevents.CloudEvent;
import io.meshfed.model.BadEventException;
import java.util.Optional;

/**
 * What a Knative Service is to the broker: it takes one event and may answer with one reply event, which the broker
 * routes again. Implementations are thin adapters over the plain domain services, as the Funqy functions are.
 */
@FunctionalInterface
public interface Subscriber {
    /** @throws BadEventException when the event cannot be handled as sent */
    Optional<CloudEvent> handle(CloudEvent event);
}
