package io.meshfed.local;

import io.cloudevents.CloudEvent;
import io.meshfed.model.EventFailure;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * An in-process stand-in for the Knative Broker: delivers each event to every service a Trigger subscribes to its
 * type, and routes each reply event back through the same table, until no reply is left.
 *
 * <p>Delivery is synchronous and serialized (one event tree at a time, breadth first), so what happens for an event
 * is complete when {@link #publish} returns and the order is the same every run. A subscriber that fails on a reply
 * event is reported and the rest of the tree is still delivered, as a broker would after its retries. Thread-safe.
 */
public final class LocalBroker {
    /** One delivery: the event, the Trigger that routed it, and the reply (if any). */
    public record Delivery(CloudEvent event, TriggerTable.Route route, Optional<CloudEvent> reply) {
    }

    /** The replies of the first hop (what a sender calling the function directly would get back) and every delivery. */
    public record Outcome(List<CloudEvent> replies, List<Delivery> deliveries) {
    }

    private final TriggerTable triggers;
    private final Map<String, Subscriber> services;
    private final Consumer<String> problems;
    private final List<Consumer<Delivery>> listeners = new CopyOnWriteArrayList<>();

    public LocalBroker(TriggerTable triggers, Map<String, Subscriber> services, Consumer<String> problems) {
        for (String service : triggers.services()) {
            if (!services.containsKey(service)) {
                throw new ExampleException("a Trigger subscribes Knative Service '" + service
                        + "', which local mode does not run (it runs " + services.keySet() + ")");
            }
        }
        this.triggers = triggers;
        this.services = Map.copyOf(services);
        this.problems = problems;
    }

    /** Called after every delivery, in delivery order. */
    public void addListener(Consumer<Delivery> listener) {
        listeners.add(listener);
    }

    /**
     * Delivers {@code event} and everything it causes.
     *
     * @throws EventFailure when a subscriber of {@code event} itself refuses it
     */
    public synchronized Outcome publish(CloudEvent event) {
        List<CloudEvent> firstReplies = new ArrayList<>();
        List<Delivery> deliveries = new ArrayList<>();
        for (TriggerTable.Route route : triggers.routes(event.getType())) {
            Optional<CloudEvent> reply = services.get(route.service()).handle(event);
            Delivery d = new Delivery(event, route, reply);
            deliveries.add(d);
            listeners.forEach(l -> l.accept(d));
            reply.ifPresent(firstReplies::add);
        }
        Deque<CloudEvent> pending = new ArrayDeque<>(firstReplies);
        while (!pending.isEmpty()) {
            CloudEvent next = pending.poll();
            for (TriggerTable.Route route : triggers.routes(next.getType())) {
                Optional<CloudEvent> reply;
                try {
                    reply = services.get(route.service()).handle(next);
                } catch (RuntimeException e) {
                    problems.accept(route.service() + " failed on " + next.getType() + " (" + next.getSubject() + "): "
                            + e.getMessage());
                    continue;
                }
                Delivery d = new Delivery(next, route, reply);
                deliveries.add(d);
                listeners.forEach(l -> l.accept(d));
                reply.ifPresent(pending::add);
            }
        }
        return new Outcome(firstReplies, deliveries);
    }

    public TriggerTable triggers() {
        return triggers;
    }
}
