-- Each item's section, by slug, in a narrow table of its own. A search in a section checks each
-- of a word's matches: here in one lookup, where it took two before (the issue's section of
-- that slug, then the item among that section's), each mostly a page the cache did not hold.
-- At a million items, a word in 3,000 checked in 12 ms that way and 6 ms this way.

CREATE TABLE item_sections (
    id   INTEGER PRIMARY KEY,          -- the item's id
    slug TEXT NOT NULL                 -- its section's slug
) STRICT;

INSERT INTO item_sections (id, slug)
SELECT items.id, sections.slug FROM items JOIN sections ON sections.id = items.section_id;

-- A section's slug never changes (an issue's sections are matched by slug), so only the items'
-- own changes need following.
CREATE TRIGGER item_sections_insert AFTER INSERT ON items BEGIN
    INSERT INTO item_sections (id, slug)
    VALUES (new.id, (SELECT slug FROM sections WHERE id = new.section_id));
END;

CREATE TRIGGER item_sections_update AFTER UPDATE OF id, section_id ON items BEGIN
    DELETE FROM item_sections WHERE id = old.id;
    INSERT INTO item_sections (id, slug)
    VALUES (new.id, (SELECT slug FROM sections WHERE id = new.section_id));
END;

CREATE TRIGGER item_sections_delete AFTER DELETE ON items BEGIN
    DELETE FROM item_sections WHERE id = old.id;
END;
