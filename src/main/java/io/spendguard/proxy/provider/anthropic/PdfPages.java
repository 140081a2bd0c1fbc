package io.spendguard.proxy.provider.anthropic;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Estimates how many pages a base64 PDF has, for billing it before the provider reads it. Counts the
 * page objects ({@code /Type /Page}, not {@code /Pages}) in the decoded file; a PDF that hides its page
 * tree in compressed object streams is estimated from its size instead (one page per
 * {@value #BYTES_PER_PAGE} bytes, which over-counts image-heavy files rather than under-counting
 * text ones). The result is kept between 1 and {@value #MAX_PAGES}, the most pages Anthropic accepts
 * in one request.
 */
final class PdfPages {
    static final int MAX_PAGES = 100;
    static final int BYTES_PER_PAGE = 16 * 1024;
    private static final Pattern PAGE = Pattern.compile("/Type\\s*/Page(?![A-Za-z])");

    private PdfPages() { }

    /** Pages of the PDF in {@code base64}; unreadable data counts as one page (the provider will refuse it). */
    static int estimate(String base64) {
        byte[] pdf;
        try {
            pdf = Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return 1;
        }
        // ISO-8859-1 maps every byte to one char, so binary streams cannot break the scan.
        Matcher m = PAGE.matcher(new String(pdf, StandardCharsets.ISO_8859_1));
        int pages = 0;
        while (pages < MAX_PAGES && m.find()) {
            pages++;
        }
        if (pages == 0) {
            pages = (int) Math.min(MAX_PAGES, (pdf.length + BYTES_PER_PAGE - 1L) / BYTES_PER_PAGE);
        }
        return Math.max(1, pages);
    }
}
