"""Writes src/assets/fonts/NotoSansCJKsc-Regular.subset.otf: the simplified-Chinese face of
Noto Sans CJK Regular cut down to the characters the app shows (see style.css for why).

Kept: every GB 2312 character (6,763 hanzi plus symbols), every character in the UI's own
sources, the Latin/Greek/Cyrillic/symbol glyphs the face has below U+2E80, CJK punctuation
and full-width forms. Also the characters of the data files named on the command line (the
demo corpus, so that seeded cases render without falling back to the system font). Layout
features are those applied to horizontal text by default, for the default and
simplified-Chinese language systems only (the JP/KR/TC/HK variant glyphs are dropped).

    pip install fonttools
    python3 scripts/subset-cjk-font.py [DATA_FILE...]   # from ui/

Source: /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (Debian fonts-noto-cjk),
SIL Open Font License 1.1 (OFL.txt next to the output).
"""
import glob
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'
SC_FACE = 'Noto Sans CJK SC'
UI = Path(__file__).resolve().parent.parent
OUT = UI / 'src/assets/fonts/NotoSansCJKsc-Regular.subset.otf'
# Harfbuzz's default features for horizontal text.
FEATURES = ['ccmp', 'locl', 'mark', 'mkmk', 'rlig', 'calt', 'clig', 'kern', 'liga', 'dist',
            'abvm', 'blwm', 'curs', 'rclt']


def gb2312() -> set[str]:
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode('gb2312'))
            except UnicodeDecodeError:
                pass
    return chars


def main() -> None:
    font = next(f for f in TTCollection(SOURCE).fonts if f['name'].getDebugName(1) == SC_FACE)
    cmap = font.getBestCmap()
    chars = gb2312()
    for path in glob.glob(str(UI / 'src/**/*.*'), recursive=True):
        if path.endswith(('.ts', '.vue', '.css')):
            chars |= set(Path(path).read_text(encoding='utf-8'))
    for path in sys.argv[1:]:
        chars |= set(Path(path).read_text(encoding='utf-8', errors='ignore'))
    codepoints = {ord(c) for c in chars}
    codepoints |= {cp for cp in cmap if cp < 0x2E80 or 0x3000 <= cp <= 0x303F or 0xFF00 <= cp <= 0xFFEF}
    codepoints &= set(cmap)

    for tag in ('GSUB', 'GPOS'):
        for script in font[tag].table.ScriptList.ScriptRecord:
            kept = [ls for ls in script.Script.LangSysRecord if ls.LangSysTag.strip() == 'ZHS']
            script.Script.LangSysRecord = kept
            script.Script.LangSysCount = len(kept)

    options = subset.Options()
    options.layout_features = FEATURES
    options.layout_scripts = ['*']
    options.name_IDs = ['*']
    options.name_languages = ['*']
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(font)
    font.save(OUT)
    print(f'{OUT}: {len(codepoints)} characters, {len(font.getGlyphOrder())} glyphs, {OUT.stat().st_size} bytes')


if __name__ == '__main__':
    main()
