package dev.cairn.server.net;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Runs tasks one after another in submission order on a shared executor, without holding a
 * thread while a task's asynchronous part (a stage it returns) is pending. A put session's
 * requests go through one, because its store-side state is single-writer and the protocol
 * promises they take effect in arrival order. Thread-safe.
 */
final class SerialQueue {
    private final Executor executor;
    private final ArrayDeque<Supplier<CompletionStage<?>>> tasks = new ArrayDeque<>();
    private boolean running;

    SerialQueue(Executor executor) {
        this.executor = executor;
    }

    /**
     * Queues {@code task}; it runs after every task submitted before it has completed (its stage
     * included). A task that throws counts as completed.
     */
    void submit(Supplier<CompletionStage<?>> task) {
        synchronized (this) {
            tasks.add(task);
            if (running) {
                return;
            }
            running = true;
        }
        schedule();
    }

    /** True when no task is queued or running. */
    synchronized boolean idle() {
        return !running;
    }

    private void schedule() {
        try {
            executor.execute(this::drain);
        } catch (RejectedExecutionException e) {
            drain(); // the executor is shutting down: finish here rather than strand the tasks
        }
    }

    private void drain() {
        while (true) {
            Supplier<CompletionStage<?>> t;
            synchronized (this) {
                t = tasks.poll();
                if (t == null) {
                    running = false;
                    return;
                }
            }
            CompletableFuture<?> f;
            try {
                f = t.get().toCompletableFuture();
            } catch (Throwable e) {
                continue;
            }
            if (!f.isDone()) {
                f.whenComplete((r, e) -> schedule());
                return;
            }
        }
    }
}
