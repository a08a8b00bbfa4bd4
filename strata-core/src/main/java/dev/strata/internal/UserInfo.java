package dev.strata.internal;

import java.util.regex.Pattern;

/**
 * The one masking of URI user-info ({@code redis://:pw@host}, {@code jdbc:postgresql://app:pw@db}),
 * here so that every layer can use it; the API is {@code dev.strata.application.Secret#maskUserInfo}.
 */
public final class UserInfo {

    /** What the user-info prints as; the same as {@code Secret.MASK}. */
    public static final String MASK = "******";

    // scheme "://" then the authority's user-info, up to the last '@' before the host ends
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)[^/\\s?#@]*(?:@[^/\\s?#@]*)*@");

    private UserInfo() {
    }

    /** {@code text} with the user-info of every URI in it replaced by {@link #MASK}; null stays null. */
    public static String mask(String text) {
        if (text == null || text.indexOf('@') < 0) {
            return text;
        }
        return USER_INFO.matcher(text).replaceAll("$1" + MASK + "@");
    }
}
