package dev.strata.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Watches one configuration file and hands its new text to a callback whenever the text changed:
 * a {@link WatchService} on the file's directory (it sees an in-place write and an editor's
 * write-then-rename alike) plus a check of the text every {@link #POLL_MILLIS} ms, for file systems
 * that deliver no events. After an event it waits until no further event came for
 * {@link #SETTLE_MILLIS} ms (at most 50 times that), so a file written in several steps is read
 * once, whole. The callback runs on the watcher's one daemon thread, one change at a time; what it
 * throws is handed to {@code onFailure} and watching goes on. Typically the callback reloads:
 *
 * <pre>{@code
 * ConfigFileWatcher watcher = ConfigFileWatcher.start(file, text -> log(reloader.reload(file).summary()), Throwable::printStackTrace);
 * }</pre>
 */
public final class ConfigFileWatcher implements AutoCloseable {

    /** The longest a change goes unnoticed when the file system delivers no events. */
    public static final long POLL_MILLIS = 1000;
    /** Quiet time after the last event before the file is read. */
    public static final long SETTLE_MILLIS = 100;

    private final Path file;
    private final Consumer<String> onChange;
    private final Consumer<RuntimeException> onFailure;
    private final WatchService watch;
    private final Thread thread;
    private volatile boolean closed;
    private String lastText;

    private ConfigFileWatcher(Path file, Consumer<String> onChange, Consumer<RuntimeException> onFailure) throws IOException {
        this.file = file.toAbsolutePath();
        this.onChange = Objects.requireNonNull(onChange, "onChange");
        this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
        this.lastText = read();
        this.watch = FileSystems.getDefault().newWatchService();
        this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        this.thread = Thread.ofPlatform().daemon().name("strata-config-watch").start(this::run);
    }

    /**
     * Starts watching {@code file}; its text now is the baseline (not handed to {@code onChange}).
     *
     * @throws IOException when the file's directory cannot be watched
     */
    public static ConfigFileWatcher start(Path file, Consumer<String> onChange, Consumer<RuntimeException> onFailure)
            throws IOException {
        return new ConfigFileWatcher(file, onChange, onFailure);
    }

    /** The file watched, absolute. */
    public Path file() {
        return file;
    }

    private void run() {
        while (!closed) {
            try {
                WatchKey key = watch.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                    for (int i = 0; i < 50; i++) {
                        WatchKey more = watch.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                        if (more == null) {
                            break;
                        }
                        more.pollEvents();
                        more.reset();
                    }
                }
                String text = read();
                if (text != null && !text.equals(lastText) && !closed) {
                    lastText = text;
                    onChange.accept(text);
                }
            } catch (InterruptedException | ClosedWatchServiceException stop) {
                return;
            } catch (RuntimeException failure) {
                onFailure.accept(failure);
            }
        }
    }

    /** The file's text, or null while it cannot be read (being replaced, or gone for a moment). */
    private String read() {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            return null;
        }
    }

    /** Stops watching; waits (at most 5 s) for a callback in progress to end. */
    @Override
    public void close() throws IOException, InterruptedException {
        closed = true;
        watch.close();
        if (Thread.currentThread() != thread) {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        }
    }
}
