import pytest


@pytest.fixture
def regions(db):
    from aftersales.models import Region

    specs = [
        ("US", "United States", "USD", "America/New_York", "en-US"),
        ("GB", "United Kingdom", "GBP", "Europe/London", "en-GB"),
        ("ID", "Indonesia", "IDR", "Asia/Jakarta", "id-ID"),
    ]
    return {
        code: Region.objects.create(code=code, name=name, currency=cur, time_zone=tz, language=lang)
        for code, name, cur, tz, lang in specs
    }
