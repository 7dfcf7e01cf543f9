//! What the console does with a file someone sent: the name it shows and
//! saves under, and whether it may be opened from the app at all.

/// Characters that change how a name is drawn without being seen (bidi
/// overrides and isolates, zero-width marks): `invoice\u{202E}fdp.exe` would
/// otherwise show as `invoiceexe.pdf`.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        || c.is_control()
}

/// The name to show and to save under: its last path part, without
/// invisible characters, never empty or a dot name.
pub fn display_name(file_name: &str) -> String {
    let last = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !invisible(*c)).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "file".to_owned()
    } else {
        clean
    }
}

/// The real extension, lower case (the part after the last dot), if any.
pub fn extension(file_name: &str) -> Option<String> {
    let name = display_name(file_name);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// Extensions of files that can run code when opened: programs, scripts,
/// installers, launchers, disk images, documents with macros, and web pages.
const SAVE_ONLY: &[&str] = &[
    // Windows programs, scripts and installers
    "exe",
    "com",
    "scr",
    "pif",
    "cpl",
    "msi",
    "msp",
    "msc",
    "bat",
    "cmd",
    "ps1",
    "psm1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "wsh",
    "hta",
    "lnk",
    "url",
    "reg",
    "inf",
    "gadget",
    "appx",
    "msix",
    "appref-ms",
    // Unix and macOS programs, scripts and installers
    "sh",
    "bash",
    "zsh",
    "csh",
    "ksh",
    "fish",
    "run",
    "bin",
    "elf",
    "out",
    "appimage",
    "desktop",
    "deb",
    "rpm",
    "snap",
    "flatpak",
    "flatpakref",
    "apk",
    "app",
    "command",
    "tool",
    "pkg",
    "dmg",
    "scpt",
    "workflow",
    "terminal",
    "action",
    // Interpreted code and archives of code
    "py",
    "pyc",
    "pyw",
    "pl",
    "rb",
    "php",
    "lua",
    "jar",
    "class",
    "war",
    "ear",
    "dll",
    "so",
    "dylib",
    // Disk images
    "iso",
    "img",
    "vhd",
    "vhdx",
    "vmdk",
    // Office documents that carry macros
    "docm",
    "dotm",
    "xlsm",
    "xltm",
    "xlam",
    "xla",
    "pptm",
    "potm",
    "ppam",
    "ppsm",
    "sldm",
    // Web pages and scripts a browser runs
    "html",
    "htm",
    "xhtml",
    "shtml",
    "mht",
    "mhtml",
    "svg",
    "svgz",
    "xml",
    "xsl",
];

/// Whether the app may open this file with the system's default
/// application. A file that could run code is Save only, and so is a file
/// without an extension (the system would guess from its bytes).
pub fn opens_safely(file_name: &str) -> bool {
    extension(file_name).is_some_and(|e| !SAVE_ONLY.contains(&e.as_str()))
}

/// The image type of `bytes` from their first bytes, for the formats the
/// console previews inline (PNG, JPEG, GIF, WebP, BMP); `None` for anything
/// else, whatever the sender claimed (an SVG or an HTML page is a download,
/// never rendered).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [b'B', b'M', ..] if bytes.len() > 26 => Some("image/bmp"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_media_open_programs_and_scripts_do_not() {
        for ok in [
            "factura.pdf",
            "Foto.JPG",
            "notes.txt",
            "sheet.xlsx",
            "talk.mp4",
            "a.b.c.docx",
        ] {
            assert!(opens_safely(ok), "{ok}");
        }
        for no in [
            "setup.exe",
            "Invoice.PDF.exe",
            "run.sh",
            "app.AppImage",
            "launcher.desktop",
            "tool.jar",
            "report.docm",
            "page.html",
            "logo.svg",
            "installer.msi",
            "README",
            ".bashrc",
            "",
        ] {
            assert!(!opens_safely(no), "{no:?}");
        }
    }

    #[test]
    fn only_real_image_bytes_are_previewed() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(
            sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff_image(b"GIF89a\x01\0"), Some("image/gif"));
        assert_eq!(sniff_image(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        for not in [
            &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
            b"<!DOCTYPE html><html>",
            b"%PDF-1.4",
            b"\x89PN",
            b"BM",
            b"",
        ] {
            assert_eq!(sniff_image(not), None, "{:?}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn the_real_name_and_extension_are_shown() {
        // A right-to-left override would draw this as "invoiceexe.pdf".
        let disguised = "invoice\u{202E}fdp.exe";
        assert_eq!(display_name(disguised), "invoicefdp.exe");
        assert_eq!(extension(disguised).as_deref(), Some("exe"));
        assert!(!opens_safely(disguised));
        assert_eq!(display_name("../../etc/passwd"), "passwd");
        assert_eq!(display_name("C:\\Users\\x\\evil.bat"), "evil.bat");
        assert_eq!(display_name("..."), "file");
        assert_eq!(display_name(" \u{200B} "), "file");
        assert_eq!(extension("archive.tar.GZ").as_deref(), Some("gz"));
        assert_eq!(extension("noext"), None);
    }
}
