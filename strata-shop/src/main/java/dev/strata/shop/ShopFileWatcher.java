package dev.strata.shop;

import dev.strata.config.ConfigReloader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Live reload for {@code strata shop --config FILE}: watches the file (a {@link WatchService} on
 * its directory, which sees in-place writes and an editor's write-and-rename alike, plus a check of
 * the text every {@link #POLL_MILLIS} ms for file systems that deliver no events) and, when its text
 * changed, loads it as at start (its proxies' ports filled in), hands it to the runtime
 * ({@link ConfigReloader}) and prints one line: what changed, or why nothing was applied. A file
 * being written in several steps is read again once no event came for {@link #SETTLE_MILLIS} ms.
 */
final class ShopFileWatcher implements AutoCloseable {

    /** The longest a change goes unnoticed when the file system delivers no events. */
    static final long POLL_MILLIS = 1000;
    /** Quiet time after the last event before the file is read. */
    static final long SETTLE_MILLIS = 100;

    private final Path file;
    private final Map<String, Integer> proxyPorts;
    private final ConfigReloader reloader;
    private final PrintStream out;
    private final WatchService watch;
    private final Thread thread;
    private volatile boolean closed;
    private String lastText;

    private ShopFileWatcher(Path file, String text, Map<String, Integer> proxyPorts, ConfigReloader reloader,
                            PrintStream out) throws IOException {
        this.file = file.toAbsolutePath();
        this.lastText = text;
        this.proxyPorts = Map.copyOf(proxyPorts);
        this.reloader = reloader;
        this.out = out;
        this.watch = FileSystems.getDefault().newWatchService();
        this.file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
        this.thread = Thread.ofPlatform().daemon().name("strata-shop-config-watch").start(this::run);
    }

    /** Starts watching {@code file}, whose text {@code text} is in force now. */
    static ShopFileWatcher start(Path file, String text, Map<String, Integer> proxyPorts, ConfigReloader reloader,
                                 PrintStream out) throws IOException {
        return new ShopFileWatcher(file, text, proxyPorts, reloader, out);
    }

    private void run() {
        while (!closed) {
            try {
                WatchKey key = watch.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (key != null) {
                    key.pollEvents();
                    key.reset();
                    // let a write in several steps finish: wait (bounded) until no event comes for a moment
                    for (int i = 0; i < 50; i++) {
                        WatchKey more = watch.poll(SETTLE_MILLIS, TimeUnit.MILLISECONDS);
                        if (more == null) {
                            break;
                        }
                        more.pollEvents();
                        more.reset();
                    }
                }
                check();
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException stop) {
                return;
            } catch (RuntimeException unexpected) {
                out.println("shop: config " + file + ": reload failed: " + unexpected);
                out.flush();
            }
        }
    }

    /** Reloads when the file's text differs from the last one read. */
    private void check() {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            return; // being replaced, or gone for a moment; the next event or poll reads it again
        }
        if (text.equals(lastText) || closed) {
            return;
        }
        lastText = text;
        ShopFile changed = new ShopFile(file.toString(), text, file);
        ConfigReloader.Outcome outcome = reloader.reload(() -> changed.load(proxyPorts));
        out.println("shop: config " + file + " changed: " + outcome.summary());
        out.flush();
    }

    @Override
    public void close() throws IOException, InterruptedException {
        closed = true;
        watch.close();
        thread.join(TimeUnit.SECONDS.toMillis(5));
    }
}
