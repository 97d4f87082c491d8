package io.ringkv.client.cli;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The ECE 419 log levels, applied to the java.util.logging logger {@code io.ringkv.client}: the
 * client logs through {@link System.Logger}, which the JDK routes to java.util.logging when, as in
 * the CLI, no other logging backend claims it. Messages go to stderr so they never mix with the
 * values the CLI prints on stdout.
 */
enum LogLevel {
    ALL(Level.ALL),
    DEBUG(Level.FINE),
    INFO(Level.INFO),
    WARN(Level.WARNING),
    ERROR(Level.SEVERE),
    OFF(Level.OFF);

    static final String CHOICES = "ALL|DEBUG|INFO|WARN|ERROR|OFF";
    static final String LOGGER_NAME = "io.ringkv.client";

    /** Held strongly: java.util.logging keeps loggers weakly, and a collected one loses its level. */
    private static final Logger CLIENT_LOGGER = Logger.getLogger(LOGGER_NAME);
    private static volatile Handler handler;

    private final Level julLevel;

    LogLevel(Level julLevel) {
        this.julLevel = julLevel;
    }

    /** The name under which the shell knows a java.util.logging level, so that output matches input. */
    static String ece419Name(Level julLevel) {
        int value = julLevel.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return ERROR.name();
        }
        if (value >= Level.WARNING.intValue()) {
            return WARN.name();
        }
        return value >= Level.INFO.intValue() ? INFO.name() : DEBUG.name();
    }

    /** The level named (any case), or null when there is none. */
    static LogLevel parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Makes this the level of the client's logger and of the stderr handler that prints it. */
    void apply() {
        synchronized (LogLevel.class) {
            if (handler == null) {
                ConsoleHandler console = new ConsoleHandler(); // writes to System.err
                console.setFormatter(new Formatter() {
                    @Override
                    public String format(LogRecord r) {
                        String thrown = r.getThrown() == null ? "" : " (" + r.getThrown() + ")";
                        return "[" + ece419Name(r.getLevel()) + "] " + formatMessage(r) + thrown + System.lineSeparator();
                    }
                });
                CLIENT_LOGGER.setUseParentHandlers(false);
                CLIENT_LOGGER.addHandler(console);
                handler = console;
            }
            handler.setLevel(julLevel);
            CLIENT_LOGGER.setLevel(julLevel);
        }
    }
}
